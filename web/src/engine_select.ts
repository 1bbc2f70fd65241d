// The swap engine, chosen on the Train page (it decides what trains) and again on the Swap page: the engines the
// server's table lists (GET /api/v1/engines), each unavailable one with what it misses and where that goes.

import { Settings } from './api';
import { WizardContext } from './context';
import { h } from './dom';

export function engineSelect(context: WizardContext, id: string, changed: () => void = () => {}): HTMLElement {
  const select = h('select', { id, 'aria-describedby': `${id}-why` },
    ...context.engines.map((engine) => h('option', { value: engine.name, disabled: !engine.available },
      engine.available ? engine.label : `${engine.label} — unavailable: needs ${engine.missing}`)));
  const unavailable = context.engines.filter((engine) => !engine.available);
  const why = h('ul', { id: `${id}-why`, class: 'muted' },
    ...unavailable.map((engine) => h('li', {}, `${engine.label}: ${engine.fix}`)));
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
  return h('div', {}, h('label', { for: id }, 'Swap engine'), select, why);
}
