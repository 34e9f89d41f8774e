// The server API as every staff web front end calls it. The sign-in lives in
// an HttpOnly, SameSite=Strict cookie set by POST /api/v1/auth/login (asked
// for with `X-Walkthrough-Session: cookie`): script in the page never sees
// the token, so injected script cannot carry it away. Every request sends
// `X-Requested-With: walkthrough`, without which the server refuses a
// cookie-signed request that changes something (another site cannot set
// it). After a reload, GET /auth/session says who is signed in. Every
// refusal arrives as {error: "a sentence", code?} and is thrown as ApiError.

// Server JSON: types generated from the OpenAPI document.
import type { LoginResponse, Role, UserInfo } from '../shared/api-types.js';
export type { Role, UserInfo };
export interface Session { user: UserInfo; mustChangePassword: boolean }


/** The refusal code of a request made before a temporary password was changed. */
export const PASSWORD_CHANGE_REQUIRED = 'password_change_required';

export class ApiError extends Error {
  constructor(public status: number, message: string, public code?: string) { super(message); }
}

export class Api {
  session: Session | null = null;
  /** Called when the server says the temporary password must be changed first. */
  onPasswordChangeRequired: (() => void) | null = null;
  constructor(private base = '/api/v1') {}

  /** Who is signed in (the cookie survives a reload), or null. */
  async restore(): Promise<Session | null> {
    try {
      const r = await this.call<LoginResponse>('GET', '/auth/session');
      this.session = { user: r.user, mustChangePassword: !!r.must_change_password };
    } catch {
      this.session = null;
    }
    return this.session;
  }

  async login(username: string, password: string): Promise<Session> {
    const r = await this.call<LoginResponse>('POST', '/auth/login', { username, password }, false, { 'X-Walkthrough-Session': 'cookie' });
    this.session = { user: r.user, mustChangePassword: !!r.must_change_password };
    return this.session;
  }

  async changePassword(oldPassword: string, newPassword: string): Promise<Session> {
    const r = await this.call<LoginResponse>('POST', '/auth/password', { old_password: oldPassword, new_password: newPassword });
    this.session = { user: r.user, mustChangePassword: false };
    return this.session;
  }

  /** Sign out: the server ends this sign-in and clears the cookie. */
  async logout() {
    try { await this.call('POST', '/auth/logout'); } catch { /* signed out already */ }
    this.session = null;
  }

  /** Forget the session here (the server no longer accepts it). */
  forget() { this.session = null; }

  /** Headers for a request made with fetch directly (downloads, photos). */
  authHeaders(): Record<string, string> { return { 'X-Requested-With': 'walkthrough' }; }

  get<T>(path: string): Promise<T> { return this.call<T>('GET', path); }
  post<T>(path: string, body?: unknown): Promise<T> { return this.call<T>('POST', path, body); }

  /** Send raw bytes (a file), e.g. a unit list or a floor plan. */
  upload<T>(method: 'POST' | 'PUT', path: string, body: Blob | ArrayBuffer): Promise<T> {
    return this.call<T>(method, path, body, true);
  }

  async call<T>(method: string, path: string, body?: unknown, raw = false, extra: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { ...this.authHeaders(), ...extra };
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      if (raw) { payload = body as BodyInit; headers['Content-Type'] = 'application/octet-stream'; }
      else { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
    }
    const res = await fetch(this.base + path, { method, headers, body: payload, credentials: 'same-origin' });
    const text = await res.text();
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      let code: string | undefined;
      try { const e = JSON.parse(text) as { error: string; code?: string }; message = e.error; code = e.code; } catch { /* not JSON */ }
      if (res.status === 401) this.forget();
      if (code === PASSWORD_CHANGE_REQUIRED && this.session) {
        this.session.mustChangePassword = true;
        this.onPasswordChangeRequired?.();
      }
      throw new ApiError(res.status, message, code);
    }
    return (text ? JSON.parse(text) : null) as T;
  }
}
