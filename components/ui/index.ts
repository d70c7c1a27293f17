// The Tributary UI kit: import primitives from "@/components/ui".
export { Badge, type BadgeVariant } from "./badge";
export { Button, buttonClasses, type ButtonSize, type ButtonVariant } from "./button";
export { Card, CardBody, CardFooter, CardHeader } from "./card";
export { cn } from "./cn";
export { ConfirmDialog } from "./confirm-dialog";
export { CopyButton } from "./copy-button";
export { Dialog } from "./dialog";
export { EmptyState } from "./empty-state";
export { Input, Select, Textarea } from "./input";
export { LineChart, niceTicks, type ChartPoint, type ChartSeries } from "./line-chart";
export { SecretField } from "./secret-field";
export { Spinner } from "./spinner";
export { Table, TBody, TD, TH, THead, TR } from "./table";
export { TabLinks, Tabs, type TabItem } from "./tabs";
export { ToastProvider, useToast, type ToastOptions, type ToastVariant } from "./toast";
