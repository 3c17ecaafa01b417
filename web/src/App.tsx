/** @module The dashboard's frame: sign-in, navigation, search, language, and which page the hash names. */

import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { api, getToken, type Me, type Meta, setToken } from './api';
import { RangePicker } from './components/RangePicker';
import { type I18n, I18nContext, initialLang, type Lang, useI18n, WORDS } from './i18n';
import { AlertDetail } from './pages/AlertDetail';
import { Alerts } from './pages/Alerts';
import { Exporters } from './pages/Exporters';
import { Families } from './pages/Families';
import { Findings } from './pages/Findings';
import { Flows } from './pages/Flows';
import { IpPage } from './pages/IpPage';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { Search } from './pages/Search';
import { SignatureDetail, Signatures } from './pages/Signatures';
import { Suppressions } from './pages/Suppressions';
import { Trends } from './pages/Trends';
import { href, navigate, useLocation } from './router';

type Session = { state: 'checking' } | { state: 'out' } | { state: 'in'; me: Me };

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [meta, setMeta] = useState<Meta | null>(null);
  const loc = useLocation();

  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem('flowhunt.lang', lang);
  }, [lang]);

  useEffect(() => {
    // With no token configured (loopback) `/api/me` answers without one, and there is no login.
    api<Me>('/me')
      .then((me) => setSession({ state: 'in', me }))
      .catch(() => setSession({ state: 'out' }));
    const out = () => {
      setToken(null);
      setSession({ state: 'out' });
    };
    window.addEventListener('flowhunt:unauthorized', out);
    return () => window.removeEventListener('flowhunt:unauthorized', out);
  }, []);

  useEffect(() => {
    if (session.state === 'in') void api<Meta>('/meta').then(setMeta);
  }, [session.state]);

  const i18n = useMemo<I18n>(
    () => ({
      lang,
      t: WORDS[lang],
      type: (x) => meta?.typeNames[lang]?.[x] ?? x,
      dim: (x) => meta?.dimensionNames[lang]?.[x] ?? x,
      metric: (x) => meta?.metricNames?.[lang]?.[x] ?? x,
      setLang: setLangState,
    }),
    [lang, meta],
  );
  const t = i18n.t;
  const langSwitch = (
    <button
      type="button"
      className="lang"
      data-testid="lang"
      onClick={() => setLangState(lang === 'en' ? 'zh-TW' : 'en')}
    >
      {lang === 'en' ? '中文' : 'English'}
    </button>
  );

  let body: ReactNode;
  if (session.state === 'checking') body = <p className="muted">{t.loading}</p>;
  else if (session.state === 'out')
    body = (
      <Login
        onLogin={(token, me) => {
          setToken(token);
          setSession({ state: 'in', me });
        }}
      />
    );
  else body = <Page me={session.me} types={meta?.anomalyTypes ?? []} />;

  const [page] = loc.parts;
  const nav: [string, string][] = [
    ['', t.nav.overview],
    ['alerts', t.nav.alerts],
    ['signatures', t.nav.signatures],
    ['findings', t.nav.findings],
    ['trends', t.nav.trends],
    ['families', t.nav.families],
    ['flows', t.nav.flows],
    // The operator's own routers: admin tokens only.
    ...(session.state === 'in' && session.me.admin
      ? ([['exporters', t.nav.exporters]] as [string, string][])
      : []),
  ];
  return (
    <I18nContext.Provider value={i18n}>
      <header>
        <a className="brand" href="#/">
          flowhunt
        </a>
        {session.state === 'in' && (
          <>
            <nav>
              {nav.map(([p, label]) => (
                <a key={p} href={href([p].filter(Boolean))} className={(page ?? '') === p ? 'active' : ''}>
                  {label}
                </a>
              ))}
            </nav>
            <RangePicker />
            <SearchBox />
            <span className="who" data-testid="who">
              {session.me.name} · {session.me.admin ? t.admin : session.me.organisations.join(', ')}
            </span>
            {getToken() && (
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setToken(null);
                  setSession({ state: 'out' });
                }}
              >
                {t.logout}
              </button>
            )}
          </>
        )}
        {langSwitch}
      </header>
      <main>{body}</main>
    </I18nContext.Provider>
  );
}

function SearchBox() {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  return (
    <search className="search">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) navigate(href(['search'], { q: q.trim() }));
        }}
      >
        <input
          type="search"
          name="q"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder={t.searchHint}
          aria-label={t.searchHint}
        />
      </form>
    </search>
  );
}

function NotFound({ path }: { path: string }) {
  const { t } = useI18n();
  return (
    <p className="error">
      {t.notFound}: {path}
    </p>
  );
}

function Page({ me, types }: { me: Me; types: string[] }) {
  const { parts, query } = useLocation();
  const [page, ...rest] = parts;
  switch (page) {
    case undefined:
      return <Overview />;
    case 'alerts':
      return rest.length === 3 ? (
        <AlertDetail id={rest} />
      ) : (
        <Alerts key={query.toString()} me={me} types={types} />
      );
    case 'signatures':
      return rest[0] ? <SignatureDetail signature={rest[0]} /> : <Signatures />;
    case 'findings':
      return <Findings />;
    case 'ip':
      return <IpPage ip={rest[0] ?? ''} />;
    case 'trends':
      return <Trends types={types} />;
    case 'families':
      return <Families />;
    case 'flows':
      return <Flows me={me} />;
    case 'suppressions':
      return <Suppressions />;
    case 'exporters':
      return <Exporters />;
    case 'search':
      return <Search q={query.get('q') ?? ''} />;
    default:
      return <NotFound path={parts.join('/')} />;
  }
}
