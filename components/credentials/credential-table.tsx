"use client";
// A card listing an org's secrets by prefix (API keys, worker tokens): the columns the caller
// names, a create button, an empty state, and a revoke button per row behind a confirmation that
// says what revoking does. The secret itself is shown only by the caller's create dialog.
import type { ReactNode } from "react";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { Button, Card, CardBody, CardHeader, ConfirmDialog, EmptyState, Table, TBody, TD, TH, THead, TR, useToast } from "@/components/ui";

export interface CredentialColumn<T> {
  header: string;
  cell: (item: T) => ReactNode;
  className?: string;
  /** The cell's tooltip: the full value where the cell shows a short one. */
  title?: (item: T) => string | undefined;
}

interface Props<T extends { id: string; name: string }> {
  title: string;
  description: string;
  /** The table's accessible name. */
  caption: string;
  /** What one row is, in the revoke button's and the confirmation's words. */
  noun: "key" | "token";
  rows: { data: T[] | undefined; error: unknown };
  columns: CredentialColumn<T>[];
  empty: { title: string; description: string };
  /** Null where this user may not create or revoke: no button, no actions column. */
  manage: {
    createLabel: string;
    onCreate: () => void;
    /** What revoking does, shown before it is confirmed. */
    revokeDescription: string;
    revoke: (item: T) => Promise<unknown>;
    /** After a revoke: refresh what lists the rows. */
    revoked: () => Promise<unknown>;
  } | null;
  /** The create dialog. */
  children?: ReactNode;
}

export function CredentialTable<T extends { id: string; name: string }>({ title, description, caption, noun, rows, columns, empty, manage, children }: Props<T>) {
  const { toast } = useToast();
  const [revoking, setRevoking] = useState<T | null>(null);
  const createButton = manage && <Button onClick={manage.onCreate}>{manage.createLabel}</Button>;
  const list = rows.data ?? [];
  const Noun = noun === "key" ? "Key" : "Token";

  return (
    <Card>
      <CardHeader title={title} description={description} actions={list.length > 0 && createButton} />
      {rows.error != null && <CardBody><FormAlert message={serverErrors(rows.error).message} /></CardBody>}
      {rows.data && list.length === 0 ? (
        <CardBody>
          <EmptyState title={empty.title} description={empty.description} action={createButton} />
        </CardBody>
      ) : (
        <div className="p-2 sm:p-4">
          <Table caption={caption}>
            <THead>
              <TR>
                {columns.map((c) => <TH key={c.header}>{c.header}</TH>)}
                {manage && <TH><span className="sr-only">Actions</span></TH>}
              </TR>
            </THead>
            <TBody>
              {list.map((item) => (
                <TR key={item.id}>
                  {columns.map((c) => <TD key={c.header} className={c.className} title={c.title?.(item)}>{c.cell(item)}</TD>)}
                  {manage && (
                    <TD className="text-right">
                      <Button variant="ghost" size="sm" className="text-danger-700 hover:text-danger-800" onClick={() => setRevoking(item)}>
                        Revoke<span className="sr-only"> {noun} {item.name}</span>
                      </Button>
                    </TD>
                  )}
                </TR>
              ))}
            </TBody>
          </Table>
        </div>
      )}
      {children}
      {manage && (
        <ConfirmDialog
          open={revoking !== null}
          onClose={() => setRevoking(null)}
          title={`Revoke “${revoking?.name ?? ""}”?`}
          description={manage.revokeDescription}
          cancelLabel={`Keep ${noun}`}
          confirmLabel={`Revoke ${noun}`}
          onConfirm={async () => {
            if (!revoking) return;
            try {
              await manage.revoke(revoking);
            } catch (error) {
              throw new Error(serverErrors(error).message);
            }
            toast({ title: `${Noun} “${revoking.name}” revoked`, variant: "success" });
            await manage.revoked();
          }}
        />
      )}
    </Card>
  );
}
