/** @module The login form: a token, checked against `/api/me` before it is kept. */

import { useState } from 'react';
import { api, type Me } from '../api';
import { useI18n } from '../i18n';

export function Login({ onLogin }: { onLogin: (token: string, me: Me) => void }) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [bad, setBad] = useState(false);
  return (
    <form
      className="login panel"
      onSubmit={(e) => {
        e.preventDefault();
        api<Me>('/me', {}, token.trim())
          .then((me) => onLogin(token.trim(), me))
          .catch(() => setBad(true));
      }}
    >
      <h1>{t.login.title}</h1>
      <p className="muted">{t.login.hint}</p>
      <label>
        {t.login.token}
        <input
          type="password"
          name="token"
          autoComplete="current-password"
          value={token}
          onChange={(e) => {
            setToken(e.target.value);
            setBad(false);
          }}
        />
      </label>
      {bad && (
        <p className="error" role="alert">
          {t.login.bad}
        </p>
      )}
      <button type="submit">{t.login.submit}</button>
    </form>
  );
}
