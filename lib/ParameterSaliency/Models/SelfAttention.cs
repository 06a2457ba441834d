using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// Multi-head self-attention with PyTorch's parameter names (<c>in_proj_weight</c> [3D, D], <c>in_proj_bias</c> [3D],
/// <c>out_proj</c>) and its arithmetic, written out so that q, k and v are ordinary tensors: per-sample and per-head
/// gradients can be taken through them (TorchSharp's MultiheadAttention is one opaque call, without batch_first).
/// Inputs and outputs are [N, S, D], batch first; no dropout, no mask.
/// </summary>
internal sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    readonly int heads;
    readonly Parameter in_proj_weight;
    readonly Parameter in_proj_bias;
    readonly Linear out_proj;

    public SelfAttention(int hidden, int heads) : base("MultiheadAttention")
    {
        this.heads = heads;
        in_proj_weight = new Parameter(empty(3L * hidden, hidden));
        in_proj_bias = new Parameter(zeros(3L * hidden));
        out_proj = nn.Linear(hidden, hidden);
        using (no_grad())
        {
            nn.init.xavier_uniform_(in_proj_weight);
            out_proj.bias!.zero_();
        }
        RegisterComponents();
    }

    /// <summary>Attention heads H (each d = D / H wide).</summary>
    internal int Heads => heads;

    /// <summary>
    /// Called with the projection's input x [N, S, D] and its output q‖k‖v [N, S, 3D] on every forward; what it returns
    /// is used in their place. The batched engine takes ∂L/∂(q‖k‖v) here, as it does a Linear layer's output with a forward hook.
    /// </summary>
    internal Func<Tensor, Tensor, Tensor>? InProjectionHook { get; set; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long samples = x.shape[0], tokens = x.shape[1], hidden = x.shape[2], perHead = hidden / heads;
        using Scalar scale = Math.Sqrt(perHead);
        var projected = nn.functional.linear(x, in_proj_weight, in_proj_bias);
        if (InProjectionHook is { } hook) projected = hook(x, projected);
        var qkv = projected.chunk(3, -1);
        Tensor Split(Tensor t) => t.reshape(samples, tokens, heads, perHead).transpose(1, 2); // [N, H, S, Dh]
        var (q, k, v) = (Split(qkv[0]), Split(qkv[1]), Split(qkv[2]));
        var weights = (q / scale).matmul(k.transpose(-2, -1)).softmax(-1);
        var merged = weights.matmul(v).transpose(1, 2).reshape(samples, tokens, hidden);
        return out_proj.call(merged).MoveToOuterDisposeScope();
    }
}
