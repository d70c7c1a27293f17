// The commands that start a worker against this server, with a copy button. The token goes in
// an environment variable: command lines are visible to other users of the machine.
import { CopyButton } from "@/components/ui";

export function connectCommand(appUrl: string, token: string): string {
  return [`export TRIBUTARY_WORKER_TOKEN=${token}`, `tributary-worker --url ${appUrl}`].join("\n");
}

export function ConnectCommand({ appUrl, token = "<your worker token>" }: { appUrl: string; token?: string }) {
  const command = connectCommand(appUrl, token);
  return (
    <div className="space-y-2">
      <div className="flex items-start gap-2">
        <pre aria-label="Command to start a worker" className="min-w-0 flex-1 overflow-x-auto rounded-control bg-gray-900 px-3 py-2.5 font-mono text-xs leading-relaxed text-gray-50">
          {command}
        </pre>
        <CopyButton value={command} what="command" />
      </div>
      <p className="text-xs text-gray-600">
        Install the worker on the GPU machine first (<code>pip install -e gpu-worker</code> from a clone of Tributary), or run it from the clone with{" "}
        <code>cd gpu-worker && python -m tributary_worker --url {appUrl}</code>. Add <code>--serve --serve-model &lt;base model&gt;</code> to also serve
        deployments of that base model (and <code>--serve-url</code> when this server reaches the machine at another address than <code>http://127.0.0.1:8100</code>).
      </p>
    </div>
  );
}
