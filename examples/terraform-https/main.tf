# A load balancer in front of one app, with the usual production HTTPS setup: a DNS-validated ACM
# certificate, an HTTPS listener on 443, a second certificate chosen by SNI, and port 80
# redirecting to HTTPS (except /health). With https = false, port 80 simply forwards to the app.
#
# On Slipway, requested certificates are issued by a local CA per data directory (trust its root:
# `slipway ca > ca.pem; curl --cacert ca.pem https://<dns name>/`), and DNS validation completes by
# itself: there is no Route 53, so where a real stack creates aws_route53_record resources for the
# validation records, this one only names them in aws_acm_certificate_validation.

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}

resource "aws_lb" "web" {
  name               = "${var.name}-alb"
  load_balancer_type = "application"
  subnets            = data.aws_subnets.default.ids
}

resource "aws_lb_target_group" "web" {
  name                 = "${var.name}-tg"
  port                 = var.target_port
  protocol             = "HTTP"
  vpc_id               = data.aws_vpc.default.id
  target_type          = var.target_type
  deregistration_delay = 5

  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 5
    timeout             = 2
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_target_group_attachment" "web" {
  target_group_arn = aws_lb_target_group.web.arn
  target_id        = var.target_id
  port             = var.target_port
}

# --- HTTPS --------------------------------------------------------------------------------------

resource "aws_acm_certificate" "web" {
  count             = var.https ? 1 : 0
  domain_name       = aws_lb.web.dns_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_acm_certificate_validation" "web" {
  count                   = var.https ? 1 : 0
  certificate_arn         = aws_acm_certificate.web[0].arn
  validation_record_fqdns = [for o in aws_acm_certificate.web[0].domain_validation_options : o.resource_record_name]
}

resource "aws_acm_certificate" "alternate" {
  count             = var.https && var.alternate_domain != "" ? 1 : 0
  domain_name       = var.alternate_domain
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_acm_certificate_validation" "alternate" {
  count                   = var.https && var.alternate_domain != "" ? 1 : 0
  certificate_arn         = aws_acm_certificate.alternate[0].arn
  validation_record_fqdns = [for o in aws_acm_certificate.alternate[0].domain_validation_options : o.resource_record_name]
}

resource "aws_lb_listener" "https" {
  count             = var.https ? 1 : 0
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.web[0].certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

resource "aws_lb_listener_certificate" "alternate" {
  count           = var.https && var.alternate_domain != "" ? 1 : 0
  listener_arn    = aws_lb_listener.https[0].arn
  certificate_arn = aws_acm_certificate_validation.alternate[0].certificate_arn
}

# --- HTTP ---------------------------------------------------------------------------------------

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = var.https ? "redirect" : "forward"
    target_group_arn = var.https ? null : aws_lb_target_group.web.arn

    dynamic "redirect" {
      for_each = var.https ? [1] : []
      content {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }
}

# Health endpoints stay reachable over plain HTTP.
resource "aws_lb_listener_rule" "health" {
  count        = var.https ? 1 : 0
  listener_arn = aws_lb_listener.http.arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }

  condition {
    path_pattern {
      values = ["/health"]
    }
  }
}
