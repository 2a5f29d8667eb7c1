# The AWS provider, pointed at Slipway: only the `endpoints` block and the static test credentials
# differ from what you would write for AWS.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }
}

provider "aws" {
  region                      = var.region
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = false
  skip_requesting_account_id  = false
  skip_metadata_api_check     = true

  endpoints {
    acm   = var.endpoint
    ec2   = var.endpoint
    elbv2 = var.endpoint
    iam   = var.endpoint
    sts   = var.endpoint
  }
}
