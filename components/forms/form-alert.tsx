// The error line above a form's submit button; announced to screen readers.
export function FormAlert({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" className="rounded-control border border-danger-200 bg-danger-50 px-3 py-2 text-sm text-danger-800">
      {message}
    </p>
  );
}
