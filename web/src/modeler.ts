// The modeler page: every option of the style LoRA's training (the trainer's own schema, what `watserface train
// lora --help` lists), basic ones first and the rest under "Advanced options", trained on the project's target
// faces as a job that stops after the LoRA.

import { Settings, errorText, get } from './api';
import { WizardContext } from './context';
import { h, messageBox } from './dom';
import { JobView } from './job_view';

interface OptionSpec {
  name: string;
  kind: 'integer' | 'number' | 'text' | 'flag' | 'choice' | 'list' | 'path';
  default: unknown;
  help: string;
  min?: number;
  max?: number;
  choices?: string[];
  advanced: boolean;
}

// What the project gives the trainer itself.
const kFromProject = new Set(['dataset', 'output', 'model', 'identity', 'tokenizer', 'device']);

export class ModelerPage {
  readonly element: HTMLElement;
  private readonly form = h('div', { class: 'advanced-grid' });
  private readonly advanced = h('div', { class: 'advanced-grid' });
  private readonly message = messageBox();
  private readonly job: JobView;
  private readonly train = h('button', { type: 'button', class: 'primary' }, 'Train the LoRA');
  private schema: OptionSpec[] = [];

  constructor(private readonly context: WizardContext) {
    this.job = new JobView(() => context.choices.project, () => context.refresh());
    this.train.addEventListener('click', () => this.start());
    this.element = h('section', {},
      h('h2', {}, 'Modeler: the style LoRA'),
      h('p', {}, 'A LoRA learns the target video\'s light and style on top of Stable Diffusion 1.5; the swap uses it with the identity adapter.'),
      this.form,
      h('details', { class: 'advanced' }, h('summary', {}, 'Advanced options'), this.advanced),
      this.message.element, h('div', { class: 'row' }, this.train), this.job.element);
  }

  async shown(): Promise<void> {
    if (!this.schema.length) this.schema = await get<OptionSpec[]>('/api/v1/schemas/lora');
    const current = (this.context.choices.overrides.lora ?? {}) as Settings;
    const fields = this.schema.filter((spec) => !kFromProject.has(spec.name)).map((spec) => [spec, this.field(spec, current[spec.name])] as const);
    this.form.replaceChildren(...fields.filter(([spec]) => !spec.advanced).map(([, field]) => field));
    this.advanced.replaceChildren(...fields.filter(([spec]) => spec.advanced).map(([, field]) => field));
    const why = !this.context.baseModelReady ? 'Training a LoRA needs Stable Diffusion 1.5, which is not installed (see the banner).'
      : !this.context.project?.target.dataset?.finished ? 'Find the target faces first (wizard step 2).' : null;
    this.train.disabled = why !== null;
    if (why) this.message.show(why, 'note');
    else this.message.clear();
  }

  private field(spec: OptionSpec, value: unknown): HTMLElement {
    const id = `lora-${spec.name}`;
    const shown = value ?? spec.default;
    const range = spec.min !== undefined || spec.max !== undefined ? ` (${spec.min ?? ''}–${spec.max ?? ''})` : '';
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.kind === 'flag') {
      input = h('input', { id, type: 'checkbox', checked: shown === true });
    } else if (spec.kind === 'choice') {
      input = h('select', { id }, ...(spec.choices ?? []).map((c) => h('option', { value: c, selected: c === shown }, c)));
    } else {
      const numeric = spec.kind === 'integer' || spec.kind === 'number';
      input = h('input', { id, type: numeric ? 'number' : 'text', step: spec.kind === 'integer' ? 1 : 'any',
        min: spec.min, max: spec.max, value: Array.isArray(shown) ? shown.join(',') : String(shown ?? '') });
    }
    input.dataset.option = spec.name;
    input.dataset.kind = spec.kind;
    return h('div', { class: 'setting' }, h('label', { for: id }, `${spec.name}${range}`), input,
      h('small', { class: 'muted' }, spec.help));
  }

  private values(): Settings {
    const out: Settings = { enabled: true };
    for (const input of this.element.querySelectorAll<HTMLInputElement>('[data-option]')) {
      const spec = this.schema.find((s) => s.name === input.dataset.option) as OptionSpec;
      const text = input.value.trim();
      if (spec.kind === 'flag') out[spec.name] = input.checked;
      else if (spec.kind === 'integer' || spec.kind === 'number') {
        if (text !== '') out[spec.name] = Number(text);  // left out: the trainer's default (or none)
      }
      else if (spec.kind === 'list') out[spec.name] = text.split(',').map((t) => t.trim()).filter(Boolean) as unknown as string;
      else if (text !== '') out[spec.name] = text;
    }
    return out;
  }

  private async start(): Promise<void> {
    this.message.clear();
    this.context.choices.overrides = { ...this.context.choices.overrides, lora: this.values() };
    this.context.save();
    try {
      this.job.follow(await this.context.submit(this.context.jobRequest('lora')));
    } catch (error) {
      this.message.show(errorText(error));
    }
  }
}
