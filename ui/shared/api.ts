// The server API as every web front end calls it: bearer token from
// POST /api/v1/auth/login, kept in localStorage so a reload stays signed
// in; every refusal arrives as {error: "a sentence"} and is thrown as
// ApiError with that sentence.

const TOKEN_KEY = 'walkthrough.session';

export type Role = 'cs_admin' | 'inspector' | 'engineer' | 'contractor';
export interface UserInfo { id: string; name: string; role: Role; projects: string[] }
export interface Session { token: string; user: UserInfo }

export class ApiError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

export class Api {
  session: Session | null = null;
  constructor(private base = '/api/v1') {
    if (typeof localStorage !== 'undefined') {
      const raw = localStorage.getItem(TOKEN_KEY);
      if (raw) try { this.session = JSON.parse(raw) as Session; } catch { this.session = null; }
    }
  }

  async login(username: string, password: string): Promise<Session> {
    const r = await this.call<{ token: string; user: UserInfo }>('POST', '/auth/login', { username, password });
    this.session = { token: r.token, user: r.user };
    localStorage.setItem(TOKEN_KEY, JSON.stringify(this.session));
    return this.session;
  }

  logout() {
    this.session = null;
    localStorage.removeItem(TOKEN_KEY);
  }

  get<T>(path: string): Promise<T> { return this.call<T>('GET', path); }
  post<T>(path: string, body?: unknown): Promise<T> { return this.call<T>('POST', path, body); }

  /** Send raw bytes (a file), e.g. a unit list or a floor plan. */
  upload<T>(method: 'POST' | 'PUT', path: string, body: Blob | ArrayBuffer): Promise<T> {
    return this.call<T>(method, path, body, true);
  }

  async call<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.session) headers.Authorization = `Bearer ${this.session.token}`;
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      if (raw) { payload = body as BodyInit; headers['Content-Type'] = 'application/octet-stream'; }
      else { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
    }
    const res = await fetch(this.base + path, { method, headers, body: payload });
    const text = await res.text();
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try { message = (JSON.parse(text) as { error: string }).error; } catch { /* not JSON */ }
      if (res.status === 401) this.logout();
      throw new ApiError(res.status, message);
    }
    return (text ? JSON.parse(text) : null) as T;
  }
}
