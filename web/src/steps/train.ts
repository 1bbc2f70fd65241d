// Step 3: how to train (the quick or standard preset, the swap engine, every setting under "Advanced options"),
// then the training job followed live: identity adapter, XSeg mask, optional style LoRA.

import { Job, Settings, errorText } from '../api';
import { Preset, Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { engineSelect } from '../engine_select';
import { JobView } from '../job_view';

// Names for the settings "Advanced options" shows (every leaf of the pipeline settings but these few); the
// rest go by their path.
const kLabels: Record<string, string> = {
  'extract.crop': 'Face crop size',
  'identity.enabled': 'Train the identity adapter',
  'identity.epochs': 'Identity adapter epochs',
  'identity.resolution': 'Identity adapter resolution',
  'identity.batch': 'Identity adapter batch',
  'identity.lr': 'Identity adapter learning rate',
  'identity.checkpoint_every': 'Identity checkpoint every (steps)',
  'identity.sample_every': 'Identity sample every (steps)',
  'identity.seed': 'Identity seed',
  'xseg.enabled': 'Train the XSeg mask',
  'xseg.epochs': 'XSeg mask epochs',
  'xseg.resolution': 'XSeg mask resolution',
  'xseg.batch': 'XSeg mask batch',
  'xseg.lr': 'XSeg learning rate',
  'xseg.checkpoint_every': 'XSeg checkpoint every (steps)',
  'xseg.seed': 'XSeg seed',
  'lora.enabled': 'Train a style LoRA',
  'lora.rank': 'LoRA rank',
  'swap.landmarks': 'Warp landmarks (68 or 478)',
  'swap.colour': 'Colour matching (lab, histogram, none)',
  'review.min_confidence': 'Review: least face confidence',
  'review.min_similarity': 'Review: least identity similarity',
  'review.max_jump': 'Review: largest jump (face widths)',
  'review.attempts': 'Repair attempts per flagged frame',
};
const kHidden = new Set(['preset', 'stop_after', 'base_model', 'tokenizer', 'swap.engine', 'identity.resampler', 'review.frames']);

type Kind = 'number' | 'auto-number' | 'switch' | 'auto-switch' | 'text';

// Every setting a user may change, with how its input reads.
function leaves(settings: Settings, prefix = ''): { path: string; kind: Kind }[] {
  const out: { path: string; kind: Kind }[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (kHidden.has(path) || (prefix === 'lora' && !['enabled', 'rank'].includes(key))) continue;
    if (value && typeof value === 'object' && !Array.isArray(value)) out.push(...leaves(value, path));
    else if (typeof value === 'boolean') out.push({ path, kind: 'switch' });
    else if (typeof value === 'number') out.push({ path, kind: 'number' });
    else if (value === 'auto') out.push({ path, kind: key === 'enabled' ? 'auto-switch' : 'auto-number' });
    else if (typeof value === 'string') out.push({ path, kind: 'text' });
  }
  return out;
}

function at(settings: Settings, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Settings | undefined)?.[key], settings);
}

function patch(path: string, value: Settings[string]): Settings {
  return path.split('.').reduceRight<Settings[string]>((inner, key) => ({ [key]: inner }), value) as Settings;
}

// The last training phase the settings run: the Train step's job stops after it. `adapter`: the engine takes an
// identity adapter, which identity "auto" then trains.
export function lastTraining(settings: Settings, adapter: boolean): string {
  if (at(settings, 'lora.enabled') === true) return 'lora';
  if (at(settings, 'xseg.enabled') !== false) return 'xseg';
  const identity = at(settings, 'identity.enabled');
  return identity === true || (identity === 'auto' && adapter) ? 'identity' : 'extract';
}

export class TrainStep implements Step {
  readonly title = 'Train';
  readonly element: HTMLElement;
  private readonly message = messageBox();
  private readonly job: JobView;
  private readonly advanced = h('div', { class: 'advanced-grid' });
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
    this.element = h('section', {},
      h('h2', {}, 'Train the models'),
      presets,
      engineSelect(context, 'engine'),
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
    const settings = this.context.resolved();
    const engine = this.context.engines.find((e) => e.name === at(settings, 'swap.engine'));
    return lastTraining(settings, engine?.needs_identity_adapter ?? false);
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
    this.advanced.replaceChildren(...leaves(settings).map(({ path, kind }) => {
      const id = `setting-${path.replace('.', '-')}`;
      const value = at(settings, path);
      let input: HTMLInputElement | HTMLSelectElement;
      if (kind === 'switch') {
        input = h('input', { id, type: 'checkbox', checked: value === true });
      } else if (kind === 'auto-switch') {
        input = h('select', { id }, ...['auto', 'on', 'off'].map((o) =>
          h('option', { value: o, selected: o === (value === 'auto' ? 'auto' : value ? 'on' : 'off') }, o)));
      } else {
        input = h('input', { id, type: kind === 'number' ? 'number' : 'text', value: String(value ?? ''), step: 'any' });
      }
      input.addEventListener('change', () => {
        const text = input.value.trim();
        if (input instanceof HTMLInputElement && kind === 'switch') return this.override(path, input.checked);
        if (kind === 'auto-switch') return this.override(path, text === 'auto' ? 'auto' : text === 'on');
        if (kind === 'text') return this.override(path, text);
        if (kind === 'auto-number' && text === 'auto') return this.override(path, 'auto');
        const number = Number(text);
        const valid = text !== '' && Number.isFinite(number);
        (input as HTMLInputElement).setCustomValidity(valid ? '' : kind === 'auto-number' ? 'a number or auto' : 'a number');
        (input as HTMLInputElement).reportValidity();
        if (valid) this.override(path, number);
      });
      return h('div', { class: 'setting' }, h('label', { for: id }, kLabels[path] ?? path), input);
    }));
  }

  private async train(): Promise<void> {
    this.message.clear();
    try {
      this.job.follow(await this.context.submit(this.context.jobRequest(this.stopAfter())));
    } catch (error) {
      this.message.show(errorText(error));
    }
  }

  private async finished(): Promise<void> {
    await this.context.refresh();
    this.context.onChange();
  }
}
