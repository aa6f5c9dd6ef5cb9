// A fake desktop shell for component tests: `invoke` is replaced at the module boundary (in
// each test file, with vi.mock) and answers from a table of handlers, one per command. A
// command without a handler fails the way the shell would: with a message.
import type { Mock } from "vitest";

export type Handler = (args: Record<string, unknown>) => unknown;

/** Installs `handlers` as the shell's commands on `invoke`. */
export function answer(invoke: Mock, handlers: Record<string, Handler>) {
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    const h = handlers[cmd];
    if (!h) throw new Error(`unexpected command ${cmd}`);
    return h(args ?? {});
  });
}

/** The arguments of every call of `cmd`, in order. */
export function argsOf(invoke: Mock, cmd: string): Array<Record<string, unknown>> {
  return invoke.mock.calls.filter((c) => c[0] === cmd).map((c) => (c[1] ?? {}) as Record<string, unknown>);
}

/** A handler that refuses with the engine's message. */
export function refuse(message: string): Handler {
  return () => {
    throw message;
  };
}

