# The AWS provider, pointed at Slipway. Everything else in this directory is what you would
# write for AWS; only the `endpoints` block (and the static test credentials) differ. To deploy
# the same stack to AWS, drop `endpoints` and the keys and use your normal credentials.
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
  region     = var.region
  access_key = "test"
  secret_key = "test"

  # Slipway implements sts:GetCallerIdentity, so the provider can validate the credentials and
  # learn the account id exactly as it does on AWS (set both to true for an endpoint without STS).
  skip_credentials_validation = false
  skip_requesting_account_id  = false
  # There is no EC2 instance metadata service on your laptop.
  skip_metadata_api_check = true

  # Every service this configuration calls, on Slipway's single port.
  endpoints {
    ec2            = var.endpoint
    ecr            = var.endpoint
    ecs            = var.endpoint
    elbv2          = var.endpoint
    iam            = var.endpoint
    sts            = var.endpoint
    cloudwatchlogs = var.endpoint
  }
}
