// The wizard: Source → Target → Train → Swap → Review, with a step indicator, Next/Back that say what is missing,
// and a banner when the generative path's base model is not installed.

import './style.css';

import { ApiError, Doctor, EngineInfo, Health, SettingsInfo, SettingsSchema, errorText, get } from './api';
import { Step, WizardContext } from './context';
import { h } from './dom';
import { ModelerPage } from './modeler';
import { ReviewStep } from './steps/review';
import { SourceStep } from './steps/source';
import { SwapStep } from './steps/swap';
import { TargetStep } from './steps/target';
import { TrainStep } from './steps/train';

function banner(context: WizardContext): void {
  if (context.baseModelReady) return;
  const element = document.getElementById('banner') as HTMLElement;
  const generative = context.engines.find((e) => e.name === 'generative');
  element.replaceChildren(
    h('strong', {}, 'Stable Diffusion 1.5 is not installed, '),
    'so the generative engine is off. The offline engine needs no downloads and is ready. ',
    ...(generative && !generative.available ? ['To turn it on: ', generative.fix, ' '] : []),
    '(', h('code', {}, 'watserface doctor'), ' lists every model and where it goes.)');
  element.hidden = false;
}

class Wizard {
  private readonly steps: Step[];
  private index = 0;
  private readonly indicator = document.getElementById('steps') as HTMLOListElement;
  private readonly page = document.getElementById('page') as HTMLElement;
  private readonly back = h('button', { type: 'button', class: 'quiet' }, 'Back');
  private readonly next = h('button', { type: 'button', class: 'primary' }, 'Next');
  private readonly why = h('p', { class: 'why muted', 'aria-live': 'polite' });

  constructor(private readonly context: WizardContext) {
    this.steps = [new SourceStep(context), new TargetStep(context), new TrainStep(context), new SwapStep(context),
      new ReviewStep(context)];
    this.back.addEventListener('click', () => this.go(this.index - 1));
    this.next.addEventListener('click', () => this.go(this.index + 1));
    context.onChange = () => this.validate();
  }

  go(index: number): void {
    const target = Math.max(0, Math.min(this.steps.length - 1, index));
    // Forward only past steps that are complete.
    for (let i = this.index; i < target; ++i) if (this.steps[i].missing()) return this.validate();
    this.steps[this.index].left?.();
    this.index = target;
    this.context.choices.step = target;
    localStorage.setItem('watserface.choices', JSON.stringify(this.context.choices));
    const step = this.steps[target];
    this.page.replaceChildren(step.element, h('div', { class: 'nav row' }, this.back, this.next), this.why);
    step.shown?.();
    this.page.focus();
    this.validate();
  }

  validate(): void {
    this.indicator.replaceChildren(...this.steps.map((step, i) => h('li', {
      class: i === this.index ? 'current' : i < this.index ? 'done' : '',
      'aria-current': i === this.index ? 'step' : undefined,
    }, `${i + 1} ${step.title}`)));
    const missing = this.steps[this.index].missing();
    this.back.disabled = this.index === 0;
    this.next.hidden = this.index === this.steps.length - 1;
    this.next.disabled = missing !== null;
    this.why.textContent = missing ?? '';
  }

  // The wizard again after another page.
  resume(): void {
    this.indicator.hidden = false;
    this.go(this.index);
  }

  leave(): void {
    this.steps[this.index].left?.();
    this.indicator.hidden = true;
  }

  // Back where the user was: the project, and the furthest step it allows up to the one last shown.
  start(): void {
    let step = 0;
    while (step < this.context.choices.step && !this.steps[step].missing()) ++step;
    this.index = 0;
    this.go(0);
    if (step > 0) this.go(step);
  }
}

async function boot(): Promise<void> {
  const [health, doctor, settings, engines, schema] = await Promise.all([
    get<Health>('/api/v1/health'), get<Doctor>('/api/v1/doctor'), get<SettingsInfo>('/api/v1/settings'),
    get<EngineInfo[]>('/api/v1/engines'), get<SettingsSchema>('/api/v1/schema')]);
  (document.getElementById('version') as HTMLElement).textContent = `version ${health.version}`;
  const context = new WizardContext(health, doctor, settings, engines, schema);
  banner(context);
  if (context.choices.project) {
    try {
      await context.open(context.choices.project);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      context.choices = { ...context.choices, project: '', step: 0 };
    }
  }
  const wizard = new Wizard(context);
  const modeler = new ModelerPage(context);
  const page = document.getElementById('page') as HTMLElement;
  const route = () => {
    if (location.hash === '#modeler') {
      wizard.leave();
      page.replaceChildren(modeler.element);
      modeler.shown();
    } else {
      wizard.resume();
    }
  };
  wizard.start();
  window.addEventListener('hashchange', route);
  if (location.hash === '#modeler') route();
}

boot().catch((error) => {
  (document.getElementById('page') as HTMLElement).replaceChildren(
    h('p', { class: 'message error', role: 'alert' },
      `Cannot reach WatserFace: ${errorText(error)}. Is \`watserface ui\` running?`));
});
