export {
  DeadLetters,
  type DeadLettersOptions,
  type ListOptions,
  type ListResult,
  type OperationResult,
} from './deadLetters.js';
export {
  describeParked,
  replayProperties,
  keptProperties,
  parkIdHeader,
  previewBytes,
  type ParkedMessage,
} from './parkedMessage.js';
export {
  readSelection,
  selects,
  mentions,
  type Selection,
  type MessagePredicate,
} from './selection.js';
export {
  sweep,
  sweepLockQueue,
  type SweepOptions,
  type SweepProgress,
  type SweepResult,
  type Verdict,
} from './sweep.js';
