// The JSON API of `watserface ui` (src/server): typed calls, and errors carried as the server words them.

export interface Face {
  id: string;
  source: string;
  frame: number;
  score: number;
  outlier: boolean;
  image: string;
  mask: string | null;
  mask_origin: 'hull' | 'xseg' | 'painted' | null;
}

export interface Dataset {
  faces: Face[];
  count: number;
  finished: boolean;
  skipped: number;
}

// A person found in the target video (docs/formats/people.md).
export interface Person {
  person: number;
  faces: number;
  seconds: number;
  first_seconds: number;
  tracks: number;
  thumbnail: string;
}

export interface People {
  people: Person[];
  chosen: number;
  chosen_by: 'most_on_screen' | 'person' | 'reference';
}

export interface MediaFile {
  name: string;
  bytes: number;
}

export type JobState = 'queued' | 'running' | 'paused' | 'cancelled' | 'failed' | 'done';

// One line of a job's events.jsonl as the event stream sends it (docs/telemetry.md).
export interface TelemetryEvent {
  time: number;
  job: string;
  phase: { name: string; index: number; count: number };
  kind: 'phase_start' | 'step' | 'epoch' | 'sample' | 'checkpoint' | 'warning' | 'error' | 'phase_end';
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  lr?: number;
  items_per_s?: number;
  eta_s?: number;
  message?: string;
  text: string;  // what a progress display says of it, as the CLI says it (src/jobs/progress_text.h)
}

export interface Job {
  id: number;
  project: string;
  state: JobState;
  phase: string;
  phase_index: number;
  phase_count: number;
  progress: number;
  eta_s: number | null;
  eta_text: string | null;  // "12m 34s"
  error: string;
  phases?: string[];
  settings?: Settings;
}

// Whether the target video's frames are evenly spaced (null: a photo, or not known).
export interface Timing {
  variable: boolean;
  message: string;
}

export interface Project {
  name: string;
  source: { media: MediaFile[]; dataset: Dataset | null };
  target: { media: MediaFile | null; url: string | null; timing: Timing | null; dataset: Dataset | null;
    people: People | null };
  outputs: { final: string | null; swapped: string | null; review_report: string | null };
  jobs: Job[];
}

// Pipeline settings (src/jobs/pipeline_settings.h): nested objects of numbers, strings, booleans.
export type Settings = { [key: string]: Settings | number | string | boolean | null | string[] };

// One option of a settings section (GET /api/v1/schema, from the option schemas in src/options/).
export interface OptionInfo {
  name: string;
  kind: 'integer' | 'number' | 'text' | 'path' | 'choice' | 'list' | 'flag' | 'object' | 'numbers';
  label: string;
  help: string;
  automatic: boolean;
  advanced: boolean;
  pipeline: boolean;
  min?: number;
  max?: number;
  choices?: string[];
}

export interface SettingsSchema {
  sections: { name: string; title: string; options: OptionInfo[] }[];
}

export interface SettingsInfo {
  defaults: Settings;
  presets: { standard: Settings; quick: Settings };
}

export interface DoctorModel {
  role: string;
  title: string;
  ready: boolean;
  needed_for: string;
}

export interface Doctor {
  models: DoctorModel[];
}

// A swap engine as this machine offers it (GET /api/v1/engines, from the engine table in src/swap/swap_engines.h).
export interface EngineInfo {
  name: string;
  label: string;
  summary: string;
  available: boolean;
  missing: string;
  fix: string;
  needs_identity_adapter: boolean;
  options: string[];  // the names of its own `swap` settings
}

export interface Health {
  version: string;
  max_upload_bytes: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }

  // What the page says: the message, then what to do.
  get text(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

// What the page says of a failed call.
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.text;
  return error instanceof Error ? error.message : String(error);
}

async function answer<T>(response: Response): Promise<T> {
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error ?? { code: 'internal', message: `the server answered ${response.status}`, hint: '' };
    throw new ApiError(response.status, error.code, error.message, error.hint);
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path));
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return answer<T>(
    await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  );
}

export async function put<T>(path: string, body: Blob): Promise<T> {
  return answer<T>(await fetch(path, { method: 'PUT', headers: { 'Content-Type': body.type }, body }));
}

export async function remove<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { method: 'DELETE' }));
}

export async function upload(project: string, kind: 'source' | 'target', files: File[]): Promise<Project> {
  const form = new FormData();
  for (const file of files) form.append('files', file, file.name);
  return answer<Project>(await fetch(`/api/v1/projects/${project}/media/${kind}`, { method: 'POST', body: form }));
}

export const projectPath = (name: string) => `/api/v1/projects/${encodeURIComponent(name)}`;
