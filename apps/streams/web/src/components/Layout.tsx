import type { ReactNode } from 'react';
import { Link } from '../router';
import type { User } from '../types';

function SkipLink() {
  return (
    <a className="skip-link" href="#main">
      Skip to main content
    </a>
  );
}

function Brand() {
  return (
    <Link to="/" className="brand">
      streams
    </Link>
  );
}

/** Layout for signed-out pages (login, register). */
export function PublicLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <SkipLink />
      <header className="site-header">
        <div className="bar">
          <Brand />
        </div>
      </header>
      <main id="main" className="narrow">
        {children}
      </main>
    </>
  );
}

const NAV = [
  { to: '/', label: 'Dashboard' },
  { to: '/activity', label: 'Activity' },
  { to: '/tokens', label: 'API tokens' },
];

interface AppLayoutProps {
  user: User;
  pathname: string;
  onLogout: () => void;
  loggingOut: boolean;
  children: ReactNode;
}

/** Layout for signed-in pages: header with navigation, the user's email and a Log out button. */
export function AppLayout({ user, pathname, onLogout, loggingOut, children }: AppLayoutProps) {
  return (
    <>
      <SkipLink />
      <header className="site-header">
        <div className="bar">
          <Brand />
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.to}>
                  <Link to={item.to} aria-current={pathname === item.to ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="account">
            <span className="user-email" data-testid="user-email">
              {user.email}
            </span>
            <button type="button" className="secondary" onClick={onLogout} disabled={loggingOut}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
