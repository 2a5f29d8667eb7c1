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
  default     = "slipway-vpc"
}

variable "vpc_cidr" {
  description = "The VPC's range. On one host it must not overlap a Docker network or a host route (Slipway says so when it does)."
  type        = string
  default     = "10.0.0.0/16"
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
  description = "The port the app listens on inside its task (the example app reads it from PORT)."
  type        = number
  default     = 80
}

variable "listener_port" {
  description = "The ALB listener's port. Slipway binds it on 127.0.0.1 (80 needs root or CAP_NET_BIND_SERVICE)."
  type        = number
  default     = 80
}
