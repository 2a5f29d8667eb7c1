variable "endpoint" {
  description = "Slipway's URL, e.g. http://127.0.0.1:4566."
  type        = string
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "web"
}

variable "target_type" {
  description = "instance: the app runs on the host (Slipway reaches an instance target at 127.0.0.1:<target_port>); ip: the app is at a private address, e.g. a container's (a loopback address is refused as an ip target, as AWS refuses it)."
  type        = string
  default     = "instance"
}

variable "target_id" {
  description = "The target: an instance id for target_type instance (any id stands for the host), a private IP address for target_type ip."
  type        = string
  default     = "i-0123456789abcdef0"
}

variable "target_port" {
  description = "The app's port."
  type        = number
}

variable "https" {
  description = "Add the HTTPS listener on 443 (ACM certificates) and turn port 80 into a redirect to it."
  type        = bool
  default     = true
}

variable "alternate_domain" {
  description = "A second name the HTTPS listener serves with its own certificate (picked by SNI); empty for none."
  type        = string
  default     = ""
}
