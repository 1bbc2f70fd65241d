// Step 3: how to train (the quick or standard preset, the swap engine, every setting under "Advanced options"),
// then the training job followed live: identity adapter, XSeg mask, optional style LoRA.

import { ApiError, Job, Project, Settings, post, projectPath } from '../api';
import { Preset, Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { JobView } from '../job_view';

// The settings "Advanced options" shows, by their path in the pipeline settings.
const kAdvanced: { path: string; label: string; kind: 'number' | 'auto-number' | 'boolean' }[] = [
  { path: 'identity.epochs', label: 'Identity adapter epochs', kind: 'number' },
  { path: 'identity.batch', label: 'Identity adapter batch', kind: 'auto-number' },
  { path: 'identity.lr', label: 'Identity adapter learning rate', kind: 'number' },
  { path: 'xseg.epochs', label: 'XSeg mask epochs', kind: 'number' },
  { path: 'xseg.batch', label: 'XSeg mask batch', kind: 'auto-number' },
  { path: 'xseg.resolution', label: 'XSeg mask resolution', kind: 'number' },
  { path: 'lora.enabled', label: 'Train a style LoRA', kind: 'boolean' },
  { path: 'lora.rank', label: 'LoRA rank', kind: 'number' },
  { path: 'review.attempts', label: 'Repair attempts per flagged frame', kind: 'number' },
];

function at(settings: Settings, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Settings | undefined)?.[key], settings);
}

function patch(path: string, value: Settings[string]): Settings {
  return path.split('.').reduceRight<Settings[string]>((inner, key) => ({ [key]: inner }), value) as Settings;
}

// The last training phase the settings run: the Train step's job stops after it.
export function lastTraining(settings: Settings, generative: boolean): string {
  if (at(settings, 'lora.enabled') === true) return 'lora';
  if (at(settings, 'xseg.enabled') !== false) return 'xseg';
  const identity = at(settings, 'identity.enabled');
  return identity === true || (identity === 'auto' && generative) ? 'identity' : 'extract';
}

export class TrainStep implements Step {
  readonly title = 'Train';
  readonly element: HTMLElement;
  private readonly message = messageBox();
  private readonly job: JobView;
  private readonly advanced = h('div', { class: 'advanced-grid' });
  private readonly engine = h('select', { id: 'engine' });
  private readonly start = h('button', { type: 'button', class: 'primary' }, 'Start training');

  constructor(private readonly context: WizardContext) {
    this.job = new JobView(() => context.choices.project, () => this.finished());
    this.start.addEventListener('click', () => this.train());
    const presets = h('fieldset', { class: 'presets' }, h('legend', {}, 'How long to train'),
      ...(['quick', 'standard'] as Preset[]).map((preset) => h('label', {},
        h('input', { type: 'radio', name: 'preset', value: preset, checked: context.choices.preset === preset,
          onchange: () => {
            context.choices.preset = preset;
            context.save();
            this.renderAdvanced();
          } }),
        preset === 'quick' ? ' Quick — a first result in minutes' : ' Standard — the full defaults (identity 100, XSeg 50)')));
    const generative = context.baseModelReady;
    this.engine.append(
      h('option', { value: 'offline' }, 'Offline — needs no downloads'),
      h('option', { value: 'generative', disabled: !generative },
        generative ? 'Generative — Stable Diffusion 1.5 with InstantID' : 'Generative — unavailable: Stable Diffusion 1.5 is not installed'));
    this.engine.value = String(at(context.resolved(), 'swap.engine') ?? 'offline');
    this.engine.addEventListener('change', () => this.override('swap.engine', this.engine.value));
    this.element = h('section', {},
      h('h2', {}, 'Train the models'),
      presets,
      h('label', { for: 'engine' }, 'Swap engine'), this.engine,
      h('details', { class: 'advanced' }, h('summary', {}, 'Advanced options'),
        h('p', { class: 'muted' }, 'Smart defaults are filled in; change any of them. Batch "auto" follows the free memory.'),
        this.advanced),
      this.message.element, h('div', { class: 'row' }, this.start), this.job.element);
    this.renderAdvanced();
  }

  shown(): void {
    const job = this.trainingJob();
    if (job) this.job.follow(job);
  }

  left(): void {
    this.job.stop();
  }

  missing(): string | null {
    const job = this.trainingJob();
    if (!job) return 'Start training first.';
    if (job.state === 'failed') return job.error;
    return job.state === 'done' ? null : 'Training is not finished yet.';
  }

  private stopAfter(): string {
    return lastTraining(this.context.resolved(), this.engine.value === 'generative');
  }

  private trainingJob(): Job | null {
    return this.context.lastJob(this.stopAfter());
  }

  private override(path: string, value: Settings[string]): void {
    const merged = structuredClone(this.context.choices.overrides);
    const change = patch(path, value);
    const [top] = Object.keys(change);
    merged[top] = { ...((merged[top] as Settings) ?? {}), ...(change[top] as Settings) };
    this.context.choices.overrides = merged;
    this.context.save();
  }

  private renderAdvanced(): void {
    const settings = this.context.resolved();
    this.advanced.replaceChildren(...kAdvanced.map(({ path, label, kind }) => {
      const id = `setting-${path.replace('.', '-')}`;
      const value = at(settings, path);
      const input = kind === 'boolean'
        ? h('input', { id, type: 'checkbox', checked: value === true })
        : h('input', { id, type: kind === 'number' ? 'number' : 'text', value: String(value ?? ''), step: 'any' });
      input.addEventListener('change', () => {
        if (kind === 'boolean') return this.override(path, input.checked);
        const text = input.value.trim();
        this.override(path, kind === 'auto-number' && text === 'auto' ? 'auto' : Number(text));
      });
      return h('div', { class: 'setting' }, h('label', { for: id }, label), input);
    }));
  }

  private async train(): Promise<void> {
    this.message.clear();
    try {
      const project = this.context.project as Project;
      const job = await post<Job>(`${projectPath(project.name)}/jobs`, this.context.jobRequest(this.stopAfter()));
      await this.context.refresh();
      this.job.follow(job);
    } catch (error) {
      this.message.show(error instanceof ApiError ? error.text : String(error));
    }
  }

  private async finished(): Promise<void> {
    await this.context.refresh();
    this.context.onChange();
  }
}
