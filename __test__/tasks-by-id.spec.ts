/**
 * `TasksById` (the executor's pending tasks by id, issue 20): lookups by offset in a window of
 * ids, with the tasks left far behind moved aside so that memory follows the tasks held.
 */
import test from 'ava'

import { TasksById } from '../lib/engine/tasks-by-id.js'

test('tasks are found by id until deleted, each deleted once, and listed in id order', (t) => {
  const tasks = new TasksById<string>()
  for (const id of [1, 2, 3, 5, 8]) tasks.add(id, `t${id}`) // 4, 6 and 7 skipped (refused submissions)
  t.is(tasks.size, 5)
  t.is(tasks.get(5), 't5')
  t.is(tasks.get(4), undefined)
  t.is(tasks.get(9), undefined)
  t.is(tasks.get(0), undefined)
  t.true(tasks.delete(3))
  t.false(tasks.delete(3))
  t.false(tasks.delete(4))
  t.true(tasks.delete(1))
  t.deepEqual(tasks.values(), ['t2', 't5', 't8'])
  for (const id of [2, 5, 8]) t.true(tasks.delete(id))
  t.is(tasks.size, 0)
  tasks.add(20, 't20') // an empty window starts again at the next id
  t.is(tasks.get(20), 't20')
  t.deepEqual(tasks.values(), ['t20'])
})

test('one task pending far behind many settled ones keeps the window proportional to the tasks held', (t) => {
  const tasks = new TasksById<number>()
  tasks.add(1, 1) // a long task
  let longestSpan = 0
  for (let id = 2; id < 200_000; id++) {
    tasks.add(id, id)
    if (id > 20) t.true(tasks.delete(id - 16)) // 16 short tasks in flight at any time
    longestSpan = Math.max(longestSpan, tasks.span)
  }
  t.true(longestSpan < 10_000, `the window spanned ${longestSpan} ids`)
  t.is(tasks.get(1), 1, 'the long task moved aside is still found')
  t.is(tasks.size, 1 + 16 + 3)
  const ids = tasks.values()
  t.deepEqual(ids, [...ids].sort((a, b) => a - b), 'listed in id order')
  t.true(tasks.delete(1))
  t.false(tasks.delete(1))
  t.is(tasks.get(1), undefined)
})

test('tasks settled out of order in a large window are all found, and nothing else is', (t) => {
  const tasks = new TasksById<number>()
  const held = new Set<number>()
  let seed = 7
  const random = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
  for (let id = 1; id <= 50_000; id++) {
    tasks.add(id, id)
    held.add(id)
    if (random(3) > 0) {
      const pick = id - random(Math.min(id, 5_000))
      if (held.has(pick)) {
        t.true(tasks.delete(pick))
        held.delete(pick)
      } else t.false(tasks.delete(pick))
    }
  }
  t.is(tasks.size, held.size)
  for (let id = 1; id <= 50_000; id++) if (tasks.get(id) !== (held.has(id) ? id : undefined)) t.fail(`id ${id}`)
  t.deepEqual(tasks.values(), [...held].sort((a, b) => a - b))
})
