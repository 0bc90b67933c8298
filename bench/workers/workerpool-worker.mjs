// workerpool's dedicated worker script: registers the tasks by name.
import workerpool from 'workerpool'

import * as tasks from './tasks.mjs'

workerpool.worker({ ...tasks })
