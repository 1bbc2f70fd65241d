// What every wizard step reads and changes: the project, what the server said of itself, and the user's choices
// (kept in localStorage, so a reload comes back to the same place).

import {
  Doctor, EngineInfo, Health, Job, Project, Settings, SettingsInfo, SettingsSchema, get, post, projectPath,
} from './api';

export type JobRequest = { preset: Preset; settings: Settings; stop_after: string };

export type Preset = 'quick' | 'standard';

export interface Choices {
  project: string;
  preset: Preset;
  overrides: Settings;
  step: number;
}

export interface Step {
  readonly title: string;
  readonly element: HTMLElement;
  // Why Next cannot be pressed yet, in words ("Add at least one photo of the source face"), or null.
  missing(): string | null;
  shown?(): void;
  left?(): void;
}

const kStorage = 'watserface.choices';

export class WizardContext {
  project: Project | null = null;
  choices: Choices;
  onChange: () => void = () => {};

  constructor(
    readonly health: Health,
    readonly doctor: Doctor,
    readonly settings: SettingsInfo,
    readonly engines: EngineInfo[],
    readonly schema: SettingsSchema,
  ) {
    const saved = JSON.parse(localStorage.getItem(kStorage) ?? 'null') as Partial<Choices> | null;
    this.choices = { project: '', preset: 'quick', overrides: {}, step: 0, ...saved };
  }

  save(): void {
    localStorage.setItem(kStorage, JSON.stringify(this.choices));
    this.onChange();
  }

  get baseModelReady(): boolean {
    return this.doctor.models.some((m) => m.role === 'base_diffusion' && m.ready);
  }

  async open(name: string): Promise<Project> {
    this.project = await get<Project>(projectPath(name));
    this.choices.project = name;
    this.save();
    return this.project;
  }

  async create(name: string): Promise<Project> {
    this.project = await post<Project>('/api/v1/projects', { name });
    this.choices.project = name;
    this.save();
    return this.project;
  }

  async refresh(): Promise<Project> {
    if (!this.project) throw new Error('no project is open');
    return this.open(this.project.name);
  }

  setProject(project: Project): void {
    this.project = project;
    this.onChange();
  }

  // The newest job of the project that stopped after `phase` ("" for the whole pipeline).
  lastJob(stopAfter: string): Job | null {
    const jobs = (this.project?.jobs ?? []).filter((j) => (j.settings?.stop_after ?? '') === stopAfter);
    return jobs.length ? jobs[jobs.length - 1] : null;
  }

  // The pipeline settings this wizard runs with: the preset's, then the user's overrides, then `stop_after`.
  jobRequest(stopAfter: string): JobRequest {
    return { preset: this.choices.preset, settings: this.choices.overrides, stop_after: stopAfter };
  }

  // Queues a job of the open project; the project is read again so its job list has it.
  async submit(request: JobRequest): Promise<Job> {
    const job = await post<Job>(`${projectPath(this.choices.project)}/jobs`, request);
    await this.refresh();
    return job;
  }

  // The settings a job would resolve to, for showing (the preset's values under the overrides).
  resolved(): Settings {
    return merge(structuredClone(this.settings.presets[this.choices.preset]), this.choices.overrides);
  }
}

export function merge(base: Settings, patch: Settings): Settings {
  for (const [key, value] of Object.entries(patch)) {
    const current = base[key];
    const object = (v: unknown): v is Settings => !!v && typeof v === 'object' && !Array.isArray(v);
    if (object(value) && object(current)) merge(current, value);
    else base[key] = value;
  }
  return base;
}
