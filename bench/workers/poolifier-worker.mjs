// poolifier's worker script: the tasks as named task functions (`execute(x, 'inc')`).
import { ThreadWorker } from 'poolifier'

import * as tasks from './tasks.mjs'

export default new ThreadWorker({ ...tasks })
