/**
 * One problem with an input, located: `file:line:col: message`, 1-based. Line 0 means the file as a
 * whole (not found, unreadable). Same shape as the inventory's InventoryIssue.
 */
export interface InputIssue {
  file: string;
  line: number;
  col: number;
  message: string;
}
