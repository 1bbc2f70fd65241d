// The swap engine, chosen on the Train page (it decides what trains) and again on the Swap page; the generative
// one says why it is unavailable.

import { Settings } from './api';
import { WizardContext } from './context';
import { h } from './dom';

export function engineSelect(context: WizardContext, id: string, changed: () => void = () => {}): HTMLElement {
  const ready = context.baseModelReady;
  const select = h('select', { id },
    h('option', { value: 'offline' }, 'Offline — needs no downloads'),
    h('option', { value: 'generative', disabled: !ready },
      ready ? 'Generative — Stable Diffusion 1.5 with InstantID' : 'Generative — unavailable: Stable Diffusion 1.5 is not installed'));
  const refresh = () => {
    select.value = String((context.resolved().swap as Settings | undefined)?.engine ?? 'offline');
  };
  refresh();
  select.addEventListener('focus', refresh);
  select.addEventListener('change', () => {
    const overrides = structuredClone(context.choices.overrides);
    overrides.swap = { ...((overrides.swap as Settings) ?? {}), engine: select.value };
    context.choices.overrides = overrides;
    context.save();
    changed();
  });
  return h('div', {}, h('label', { for: id }, 'Swap engine'), select);
}
