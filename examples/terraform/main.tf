# The ECS tutorial stack: an application load balancer in front of an ECS service running two
# copies of a web app, with its image repository, logs and IAM roles.
#
#   launch_type = "FARGATE", network_mode = "awsvpc"  (default) each task has its own ENI/IP,
#                                                      the target group targets IPs
#   launch_type = "EC2",     network_mode = "bridge"   tasks share the host, dynamic host ports,
#                                                      the target group targets instances

locals {
  awsvpc  = var.network_mode == "awsvpc"
  fargate = var.launch_type == "FARGATE"
  image   = var.image != "" ? var.image : "${aws_ecr_repository.app.repository_url}:latest"
}

# --- Network: the default VPC and its subnets --------------------------------------------------

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "HTTP from anywhere to the load balancer"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description = "HTTP"
    from_port   = var.listener_port
    to_port     = var.listener_port
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "The app's port, from the load balancer only"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description     = "App port from the ALB"
    from_port       = local.awsvpc ? var.container_port : 32768
    to_port         = local.awsvpc ? var.container_port : 65535
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# --- Image repository ---------------------------------------------------------------------------

resource "aws_ecr_repository" "app" {
  name                 = "${var.name}-app"
  image_tag_mutability = "MUTABLE"
  # Lets `terraform destroy` remove the repository with its images.
  force_delete = true

  image_scanning_configuration {
    scan_on_push = false
  }
}

# --- Load balancer ------------------------------------------------------------------------------

resource "aws_lb" "app" {
  name               = "${var.name}-alb"
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.alb.id]
  subnets            = data.aws_subnets.default.ids
}

resource "aws_lb_target_group" "app" {
  name        = "${var.name}-tg"
  port        = var.container_port
  protocol    = "HTTP"
  vpc_id      = data.aws_vpc.default.id
  target_type = local.awsvpc ? "ip" : "instance"
  # Stopped tasks leave the load balancer after 5 s instead of 300 s.
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

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.app.arn
  port              = var.listener_port
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

# --- ECS cluster --------------------------------------------------------------------------------

resource "aws_ecs_cluster" "main" {
  name = "${var.name}-cluster"

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }
}

# --- IAM: the execution role (pull the image, write logs) and the task role (the app's own) --------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_policy" "task" {
  name        = "${var.name}-task"
  description = "What the app itself may call"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.app.arn}:*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "task" {
  role       = aws_iam_role.task.name
  policy_arn = aws_iam_policy.task.arn
}

# --- Logs ---------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = 7
}

# --- Task definition and service ------------------------------------------------------------------

resource "aws_ecs_task_definition" "app" {
  family                   = "${var.name}-app"
  requires_compatibilities = [var.launch_type]
  network_mode             = var.network_mode
  # Fargate sizes the task; on EC2 the container's memory below is enough.
  cpu                = local.fargate ? "256" : null
  memory             = local.fargate ? "512" : null
  execution_role_arn = aws_iam_role.execution.arn
  task_role_arn      = aws_iam_role.task.arn

  container_definitions = jsonencode([
    merge(
      {
        name      = "web"
        image     = local.image
        essential = true
        portMappings = [{
          containerPort = var.container_port
          # awsvpc: the host port is the container port; bridge: 0 = a dynamic host port.
          hostPort = local.awsvpc ? var.container_port : 0
          protocol = "tcp"
        }]
        logConfiguration = {
          logDriver = "awslogs"
          options = {
            awslogs-group         = aws_cloudwatch_log_group.app.name
            awslogs-region        = var.region
            awslogs-stream-prefix = "web"
          }
        }
      },
      local.fargate ? {} : { memory = 128 },
    )
  ])
}

resource "aws_ecs_service" "app" {
  name            = "${var.name}-svc"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.app.arn
  desired_count   = var.desired_count
  launch_type     = var.launch_type

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = "web"
    container_port   = var.container_port
  }

  # Only awsvpc tasks have their own network interface (and security groups).
  dynamic "network_configuration" {
    for_each = local.awsvpc ? [1] : []
    content {
      subnets          = data.aws_subnets.default.ids
      security_groups  = [aws_security_group.tasks.id]
      assign_public_ip = true
    }
  }

  wait_for_steady_state = var.wait_for_steady_state

  # Auto scaling (autoscaling.tf) changes the desired count; Terraform must not set it back.
  lifecycle {
    ignore_changes = [desired_count]
  }

  # The target group must be attached to the load balancer before the service uses it, and the
  # execution role must be able to pull and log before tasks start.
  depends_on = [aws_lb_listener.http, aws_iam_role_policy_attachment.execution]
}
