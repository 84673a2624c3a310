import { useEffect, useRef, type ReactNode } from 'react';
import { hasNavigatedInApp } from '../router';

/** Sets "<title> · streams" and renders the page's single h1, focused after in-app navigation. */
export function Page({ title, heading, children }: { title: string; heading?: ReactNode; children?: ReactNode }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · streams`;
  }, [title]);
  useEffect(() => {
    if (hasNavigatedInApp()) h1.current?.focus();
  }, []);
  return (
    <>
      <h1 ref={h1} tabIndex={-1}>
        {heading ?? title}
      </h1>
      {children}
    </>
  );
}
