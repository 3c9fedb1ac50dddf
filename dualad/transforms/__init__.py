"""The transforms: grad, vjp, jvp, hvp, derivative, jacobians, hessian."""
