import type { ReactNode } from 'react';

export interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  /** Client-side validation message, shown under the control (polite live region). */
  error?: string | undefined;
  /** Id of a form alert that explains why this field is invalid (server errors). */
  alertId?: string | undefined;
  children: (control: ControlProps) => ReactNode;
}

/** Label + control + hint + error message, wired with aria-invalid / aria-describedby. */
export function Field({ id, label, hint, error, alertId, children }: FieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const describedBy = [hintId, error ? errorId : undefined, alertId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error || alertId ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {children({ id, 'aria-invalid': error || alertId ? true : undefined, 'aria-describedby': describedBy })}
      <p id={errorId} className="field-error" aria-live="polite">
        {error}
      </p>
    </div>
  );
}
