import { useCallback, useEffect, useState } from 'react';
import { ApiError, api, setUnauthenticatedHandler } from './api';
import { AppLayout, PublicLayout } from './components/Layout';
import { LoadError } from './components/LoadError';
import { ActivityPage } from './pages/ActivityPage';
import { DashboardPage } from './pages/DashboardPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RegisterPage } from './pages/RegisterPage';
import { StreamPage } from './pages/StreamPage';
import { TokensPage } from './pages/TokensPage';
import { isPublicRoute, matchRoute, navigate, usePathname, type Route } from './router';
import type { User } from './types';

type Auth =
  { status: 'loading' } | { status: 'failed'; error: unknown } | { status: 'anonymous' } | { status: 'authenticated'; user: User };

function SignedInPage({ route, user }: { route: Route; user: User }) {
  switch (route.name) {
    case 'dashboard':
      return <DashboardPage user={user} />;
    case 'stream':
      return <StreamPage key={route.id} id={route.id} />;
    case 'activity':
      return <ActivityPage />;
    case 'tokens':
      return <TokensPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App() {
  const pathname = usePathname();
  const route = matchRoute(pathname);
  const [auth, setAuth] = useState<Auth>({ status: 'loading' });
  const [loggingOut, setLoggingOut] = useState(false);

  const loadMe = useCallback((signal?: AbortSignal) => {
    setAuth({ status: 'loading' });
    api.me(signal).then(
      ({ user }) => setAuth({ status: 'authenticated', user }),
      (error: unknown) => {
        if (signal?.aborted) return;
        if (error instanceof ApiError && error.status === 401) setAuth({ status: 'anonymous' });
        else setAuth({ status: 'failed', error });
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    loadMe(controller.signal);
    return () => controller.abort();
  }, [loadMe]);

  // Any 401 from a signed-in request means the session is gone.
  useEffect(() => {
    setUnauthenticatedHandler(() => setAuth({ status: 'anonymous' }));
    return () => setUnauthenticatedHandler(null);
  }, []);

  // Redirects: signed-out users to /login, signed-in users away from /login and /register.
  const redirect =
    auth.status === 'anonymous' && !isPublicRoute(route) && route.name !== 'notFound'
      ? '/login'
      : auth.status === 'authenticated' && isPublicRoute(route)
        ? '/'
        : null;
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  const onAuthenticated = useCallback((user: User) => {
    setAuth({ status: 'authenticated', user });
    navigate('/');
  }, []);

  const logout = useCallback(async () => {
    setLoggingOut(true);
    try {
      await api.logout();
    } catch {
      // Even if the server call fails, forget the session locally.
    } finally {
      setLoggingOut(false);
      setAuth({ status: 'anonymous' });
      navigate('/login');
    }
  }, []);

  if (auth.status === 'loading' || redirect) {
    return (
      <main id="main" className="narrow">
        <p role="status" className="muted">
          Loading…
        </p>
      </main>
    );
  }

  if (auth.status === 'failed') {
    return (
      <PublicLayout>
        <h1>streams is unavailable</h1>
        <LoadError what="your session" error={auth.error} onRetry={() => loadMe()} />
      </PublicLayout>
    );
  }

  if (auth.status === 'anonymous') {
    return (
      <PublicLayout>
        {route.name === 'register' ? (
          <RegisterPage onAuthenticated={onAuthenticated} />
        ) : route.name === 'login' ? (
          <LoginPage onAuthenticated={onAuthenticated} />
        ) : (
          <NotFoundPage />
        )}
      </PublicLayout>
    );
  }

  return (
    <AppLayout user={auth.user} pathname={pathname} onLogout={() => void logout()} loggingOut={loggingOut}>
      <SignedInPage route={route} user={auth.user} />
    </AppLayout>
  );
}
