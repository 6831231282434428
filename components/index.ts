export { Alertmanager, type AlertmanagerArgs } from "./alertmanager";
export { type HostComponentArgs } from "./common";
export { MysqlExporter, NginxExporter, NodeExporter, Pushgateway, RedisExporter } from "./exporters";
export { Grafana, type GrafanaArgs } from "./grafana";
export { HostLogging } from "./hostLogging";
export { ContractPipeline, type ContractPipelineArgs } from "./contractPipeline";
export { BackupMonitor } from "./monitors";
export { MonitoringStack, type MonitoringStackArgs } from "./monitoringStack";
export { Prometheus, type PrometheusArgs } from "./prometheus";
