variable "endpoint" {
  description = "Slipway's URL (`slipway up` prints it)."
  type        = string
  default     = "http://localhost:4566"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name (the ALB and target group names allow 32 characters)."
  type        = string
  default     = "slipway-demo"
}

variable "launch_type" {
  description = "FARGATE (with network_mode = awsvpc) or EC2 (with network_mode = bridge or awsvpc)."
  type        = string
  default     = "FARGATE"
  validation {
    condition     = contains(["FARGATE", "EC2"], var.launch_type)
    error_message = "launch_type must be FARGATE or EC2."
  }
}

variable "network_mode" {
  description = "awsvpc (each task gets its own IP; target type ip) or bridge (dynamic host ports; target type instance)."
  type        = string
  default     = "awsvpc"
  validation {
    condition     = contains(["awsvpc", "bridge"], var.network_mode)
    error_message = "network_mode must be awsvpc or bridge."
  }
}

variable "image" {
  description = "The container image. Empty: the ECR repository's URI with tag `latest` (push your image there first)."
  type        = string
  default     = ""
}

variable "desired_count" {
  type    = number
  default = 2
}

variable "container_port" {
  type    = number
  default = 8080
}

variable "listener_port" {
  description = "The ALB listener's port. Slipway binds it on 127.0.0.1 (80 needs root or CAP_NET_BIND_SERVICE)."
  type        = number
  default     = 80
}

variable "container_insights" {
  type    = string
  default = "enabled"
}

variable "wait_for_steady_state" {
  description = "Make apply wait until the service's tasks are running (ECS services-stable)."
  type        = bool
  default     = false
}

variable "min_capacity" {
  description = "Auto scaling: the fewest tasks."
  type        = number
  default     = 1
}

variable "max_capacity" {
  description = "Auto scaling: the most tasks."
  type        = number
  default     = 4
}

variable "requests_per_target" {
  description = "Auto scaling: the requests per target per minute target tracking keeps the service at."
  type        = number
  default     = 50
}
