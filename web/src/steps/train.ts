// Step 3: how to train (the quick or standard preset, the swap engine, every setting under "Advanced options"),
// then the training job followed live: identity adapter, XSeg mask, optional style LoRA.

import { Job, OptionInfo, Settings, errorText } from '../api';
import { Preset, Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { engineSelect } from '../engine_select';
import { JobView } from '../job_view';

// Settings the page shows elsewhere (the engine has its own list).
const kShownElsewhere = new Set(['swap.engine']);

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

  // Every pipeline setting of the schema (GET /api/v1/schema) but the advanced ones, which --set reaches: its label,
  // its help as the tooltip, its range on the input.
  private renderAdvanced(): void {
    const settings = this.context.resolved();
    const fields = this.context.schema.sections.flatMap((section) => section.options
      .filter((option) => option.pipeline && !option.advanced && !kShownElsewhere.has(`${section.name}.${option.name}`))
      .map((option) => this.field(`${section.name}.${option.name}`, option, at(settings, `${section.name}.${option.name}`))));
    this.advanced.replaceChildren(...fields.filter((field): field is HTMLElement => field !== null));
  }

  private field(path: string, option: OptionInfo, value: unknown): HTMLElement | null {
    const id = `setting-${path.replace('.', '-')}`;
    let input: HTMLInputElement | HTMLSelectElement;
    let read: () => Settings[string] | undefined;
    if (option.kind === 'flag' && option.automatic) {
      input = h('select', { id }, ...['auto', 'on', 'off'].map((o) =>
        h('option', { value: o, selected: o === (value === 'auto' ? 'auto' : value ? 'on' : 'off') }, o)));
      read = () => (input.value === 'auto' ? 'auto' : input.value === 'on');
    } else if (option.kind === 'flag') {
      const box = h('input', { id, type: 'checkbox', checked: value === true });
      input = box;
      read = () => box.checked;
    } else if (option.kind === 'choice') {
      input = h('select', { id }, ...(option.choices ?? []).map((c) => h('option', { value: c, selected: c === value }, c)));
      read = () => input.value;
    } else if (option.kind === 'text' || option.kind === 'list') {
      const list = option.kind === 'list';
      input = h('input', { id, type: 'text', value: list ? ((value as string[] | undefined) ?? []).join(', ') : String(value ?? '') });
      read = () => (list ? input.value.split(',').map((s) => s.trim()).filter(Boolean) : input.value.trim());
    } else if (option.kind === 'integer' || option.kind === 'number') {
      const text = option.automatic;  // "auto" or a number
      input = h('input', {
        id, type: text ? 'text' : 'number', value: String(value ?? ''),
        step: option.kind === 'integer' ? '1' : 'any', min: option.min, max: option.max,
      });
      read = () => {
        const raw = input.value.trim();
        if (text && raw === 'auto') return 'auto';
        const number = Number(raw);
        const inRange = raw !== '' && Number.isFinite(number) && (option.kind === 'number' || Number.isInteger(number)) &&
          (option.min === undefined || number >= option.min) && (option.max === undefined || number <= option.max);
        const range = option.min !== undefined || option.max !== undefined ? ` from ${option.min ?? ''} to ${option.max ?? ''}` : '';
        (input as HTMLInputElement).setCustomValidity(inRange ? '' : `${text ? '"auto" or ' : ''}a ${option.kind === 'integer' ? 'whole number' : 'number'}${range}`);
        (input as HTMLInputElement).reportValidity();
        return inRange ? number : undefined;
      };
    } else {
      return null;  // objects and frame lists: --set or the API
    }
    input.title = option.help;
    input.addEventListener('change', () => {
      const next = read();
      if (next !== undefined) this.override(path, next);
    });
    return h('div', { class: 'setting' }, h('label', { for: id, title: option.help }, option.label), input);
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
