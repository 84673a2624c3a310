import { describeError } from '../errors';

/** A failed load, with a retry button. */
export function LoadError({ what, error, onRetry }: { what: string; error: unknown; onRetry: () => void }) {
  return (
    <div role="alert" className="alert alert-error">
      <p>
        Could not load {what}: {describeError(error)}
      </p>
      <button type="button" className="secondary" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
