"use client";
// Shows a freshly made invite link with a copy button; it is the only time the link is visible.
import { useState } from "react";
import { Button } from "@/components/ui";

export function InviteLink({ url, emailed }: { url: string; emailed: boolean }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-2">
      <p className="text-sm text-gray-700">
        {emailed ? "We emailed this link. You can also share it yourself:" : "Send this link to the person you invited. It works once and expires in 7 days:"}
      </p>
      <div className="flex gap-2">
        <input
          readOnly
          aria-label="Invite link"
          value={url}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-control border border-gray-400 bg-gray-50 px-3 py-2 font-mono text-xs"
          data-testid="invite-link"
        />
        <Button
          variant="secondary"
          onClick={async () => {
            await navigator.clipboard.writeText(url);
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}
