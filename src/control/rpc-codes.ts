// JSON-RPC 2.0 error codes of the control socket, for the server and for
// clients that must tell them apart without loading the server (node:net).
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;
