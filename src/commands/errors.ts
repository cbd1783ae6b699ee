// Exit statuses (architecture.md): 0 ok, 1 a host or step failed, 2 bad input, 130 interrupted.
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INPUT = 2;
export const EXIT_INTERRUPTED = 130;
