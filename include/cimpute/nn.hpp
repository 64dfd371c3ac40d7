/// @file nn.hpp
/// @brief Umbrella header of the nn module: activations, the MLP, optimizers, autoencoders and
/// the attractor analysis, latent effects.
#pragma once

#include "cimpute/nn/activation.hpp"
#include "cimpute/nn/attractors.hpp"
#include "cimpute/nn/autoencoder.hpp"
#include "cimpute/nn/cross_modal.hpp"
#include "cimpute/nn/latent_effects.hpp"
#include "cimpute/nn/mlp.hpp"
#include "cimpute/nn/optimizer.hpp"
