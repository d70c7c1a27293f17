// The dashboard's sections, in sidebar order. Paths are relative to /[org].
export const navItems = [
  { segment: "", label: "Overview", icon: "M3 12l9-8 9 8M5 10v10h14V10" },
  { segment: "datanets", label: "Datanets", icon: "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zm0 0v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3" },
  { segment: "models", label: "Models", icon: "M12 3l8 4.5v9L12 21l-8-4.5v-9L12 3zm0 0v18M4 7.5l8 4.5 8-4.5" },
  { segment: "deployments", label: "Deployments", icon: "M5 12h14M12 5l7 7-7 7" },
  { segment: "api-keys", label: "API keys", icon: "M15 7a4 4 0 11-3.9 4.9L3 20v-3h3v-3h3l2.1-2.1A4 4 0 0115 7z" },
  { segment: "attribution", label: "Attribution", icon: "M4 20V10M10 20V4M16 20v-8M22 20H2" },
  { segment: "workers", label: "Workers", icon: "M4 5h16v10H4zM8 19h8M12 15v4" },
  { segment: "settings", label: "Settings", icon: "M12 15a3 3 0 100-6 3 3 0 000 6zm7.4-3a7.4 7.4 0 00-.1-1.2l2-1.6-2-3.4-2.4 1a7 7 0 00-2-1.2L14.5 3h-4l-.4 2.6a7 7 0 00-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 000 2.4l-2 1.6 2 3.4 2.4-1a7 7 0 002 1.2l.4 2.6h4l.4-2.6a7 7 0 002-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z" },
] as const;
