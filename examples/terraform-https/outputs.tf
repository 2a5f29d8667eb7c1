output "alb_dns_name" {
  value = aws_lb.web.dns_name
}

output "url" {
  value = var.https ? "https://${aws_lb.web.dns_name}/" : "http://${aws_lb.web.dns_name}/"
}

output "certificate_arn" {
  value = var.https ? aws_acm_certificate.web[0].arn : ""
}
