/** `ferris-executor/worker`: what a worker task's own code imports. */
export { transfer, type Transfer, type Transferable } from './transfer.js'
