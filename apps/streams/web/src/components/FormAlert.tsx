import type { ServerError } from '../formErrors';

/** Announced (role="alert") error for a whole form; fields it concerns point at it via aria-describedby. */
export function FormAlert({ id, error }: { id: string; error: ServerError<string> | null }) {
  if (!error) return null;
  return (
    <div id={id} role="alert" className="alert alert-error">
      <p>{error.message}</p>
      {error.lines.length > 0 && (
        <ul>
          {error.lines.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
