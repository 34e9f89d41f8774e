// The one door to the Rust side: every generated command in bindings.ts
// goes through `call`, which Tauri routes to walkthrough_client::app::App.

import type { AppError } from './bindings.js';

type Invoke = (cmd: string, args: Record<string, unknown>) => Promise<unknown>;

function tauriInvoke(): Invoke {
  const w = window as unknown as { __TAURI__?: { core: { invoke: Invoke } } };
  if (!w.__TAURI__) throw appError('internal', 'This page runs inside the Walkthrough app only.');
  return w.__TAURI__.core.invoke;
}

export function appError(kind: string, message: string): AppError {
  return { kind, message };
}

/** Whether `e` is an error the app reported (as opposed to a bug in the page). */
export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && 'kind' in e && 'message' in e;
}

export async function call<T>(name: string, args: Record<string, unknown>): Promise<T> {
  try {
    return (await tauriInvoke()('call', { name, args })) as T;
  } catch (e) {
    if (isAppError(e)) throw e;
    throw appError('internal', String(e));
  }
}

/** Listen to an event the app sends (sync progress, status). */
export function listen<T>(event: string, handler: (payload: T) => void): void {
  const w = window as unknown as { __TAURI__?: { event: { listen: (e: string, h: (ev: { payload: T }) => void) => void } } };
  w.__TAURI__?.event.listen(event, (ev) => handler(ev.payload));
}
