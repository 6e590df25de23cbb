import { login } from '../api.js';
import { errorText } from '../error_text.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import type { Page } from '../page.js';
import { afterLogin } from '../route.js';

/** Log in, then go where the user was heading (or to the page of their role). */
export const loginPage: Page = (root, { query, rerender }) => {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card narrow' },
    h('h2', {}, t('login')),
    h('label', {}, t('username'), user),
    h('label', {}, t('password'), pass),
    msg,
    h('button', { type: 'submit' }, t('login')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    try {
      const me = await login(user.value.trim(), pass.value);
      location.hash = afterLogin(query.get('next'), me.role);
      rerender();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });
  root.append(form);
};
