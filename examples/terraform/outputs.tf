output "alb_dns_name" {
  value = aws_lb.app.dns_name
}

output "app_url" {
  value = "http://${aws_lb.app.dns_name}${var.listener_port == 80 ? "" : ":${var.listener_port}"}/"
}

output "ecr_repository_url" {
  value = aws_ecr_repository.app.repository_url
}

output "cluster_name" {
  value = aws_ecs_cluster.main.name
}

output "service_name" {
  value = aws_ecs_service.app.name
}

output "scalable_target_resource_id" {
  value = aws_appautoscaling_target.app.resource_id
}

output "scaling_policy_alarms" {
  value = aws_appautoscaling_policy.requests.alarm_arns
}
