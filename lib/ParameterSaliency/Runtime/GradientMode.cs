using static TorchSharp.torch;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Saliency needs backward passes. Inside <c>torch.no_grad()</c> libtorch builds no graph, and asking it for
/// gradients then aborts the whole process instead of throwing; so every entry point checks first.
/// </summary>
internal static class GradientMode
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming <paramref name="what"/> when gradients are disabled.</summary>
    public static void EnsureEnabled(string what)
    {
        if (!is_grad_enabled())
            throw new InvalidOperationException($"{what} needs gradients, but they are disabled here (inside torch.no_grad()): call it outside the no_grad block.");
    }
}
