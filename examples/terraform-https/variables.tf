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

variable "target_ip" {
  description = "The IP address of the app behind the load balancer (an ip target)."
  type        = string
  default     = "127.0.0.1"
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
