using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>Inception's unit: <c>conv</c> (no bias), <c>bn</c> (eps 0.001), ReLU.</summary>
internal sealed class BasicConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly ReLU relu = nn.ReLU(); // a module, watched by ReluKinks; no parameters, so torchvision's names hold

    public BasicConv2d(long input, long output, (long, long) kernel, long stride = 1, (long, long)? padding = null) : base(nameof(BasicConv2d))
    {
        conv = nn.Conv2d(input, output, kernel, stride: (stride, stride), padding: padding ?? (0, 0), bias: false);
        bn = nn.BatchNorm2d(output, eps: 0.001);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return relu.call(bn.call(conv.call(input))).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_5b-d: 1x1; 1x1 → 5x5; 1x1 → 3x3 → 3x3; 3x3 average pool → 1x1.</summary>
internal sealed class InceptionA : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;

    public InceptionA(long input, long poolFeatures) : base(nameof(InceptionA))
    {
        branch1x1 = new BasicConv2d(input, 64, (1, 1));
        branch5x5_1 = new BasicConv2d(input, 48, (1, 1));
        branch5x5_2 = new BasicConv2d(48, 64, (5, 5), padding: (2, 2));
        branch3x3dbl_1 = new BasicConv2d(input, 64, (1, 1));
        branch3x3dbl_2 = new BasicConv2d(64, 96, (3, 3), padding: (1, 1));
        branch3x3dbl_3 = new BasicConv2d(96, 96, (3, 3), padding: (1, 1));
        branch_pool = new BasicConv2d(input, poolFeatures, (1, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return cat([
            branch1x1.call(x),
            branch5x5_2.call(branch5x5_1.call(x)),
            branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x))),
            branch_pool.call(nn.functional.avg_pool2d(x, 3, stride: 1, padding: 1)),
        ], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_6a (grid reduction): 3x3 stride 2; 1x1 → 3x3 → 3x3 stride 2; 3x3 max-pool stride 2.</summary>
internal sealed class InceptionB : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;

    public InceptionB(long input) : base(nameof(InceptionB))
    {
        branch3x3 = new BasicConv2d(input, 384, (3, 3), stride: 2);
        branch3x3dbl_1 = new BasicConv2d(input, 64, (1, 1));
        branch3x3dbl_2 = new BasicConv2d(64, 96, (3, 3), padding: (1, 1));
        branch3x3dbl_3 = new BasicConv2d(96, 96, (3, 3), stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return cat([
            branch3x3.call(x),
            branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x))),
            nn.functional.max_pool2d(x, 3, stride: 2),
        ], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_6b-e: 1x1; 1x1 → 1x7 → 7x1; 1x1 → 7x1 → 1x7 → 7x1 → 1x7; average pool → 1x1.</summary>
internal sealed class InceptionC : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d branch1x1, branch7x7_1, branch7x7_2, branch7x7_3,
        branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool;

    public InceptionC(long input, long c7) : base(nameof(InceptionC))
    {
        branch1x1 = new BasicConv2d(input, 192, (1, 1));
        branch7x7_1 = new BasicConv2d(input, c7, (1, 1));
        branch7x7_2 = new BasicConv2d(c7, c7, (1, 7), padding: (0, 3));
        branch7x7_3 = new BasicConv2d(c7, 192, (7, 1), padding: (3, 0));
        branch7x7dbl_1 = new BasicConv2d(input, c7, (1, 1));
        branch7x7dbl_2 = new BasicConv2d(c7, c7, (7, 1), padding: (3, 0));
        branch7x7dbl_3 = new BasicConv2d(c7, c7, (1, 7), padding: (0, 3));
        branch7x7dbl_4 = new BasicConv2d(c7, c7, (7, 1), padding: (3, 0));
        branch7x7dbl_5 = new BasicConv2d(c7, 192, (1, 7), padding: (0, 3));
        branch_pool = new BasicConv2d(input, 192, (1, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return cat([
            branch1x1.call(x),
            branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x))),
            branch7x7dbl_5.call(branch7x7dbl_4.call(branch7x7dbl_3.call(branch7x7dbl_2.call(branch7x7dbl_1.call(x))))),
            branch_pool.call(nn.functional.avg_pool2d(x, 3, stride: 1, padding: 1)),
        ], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_7a (grid reduction): 1x1 → 3x3 stride 2; 1x1 → 1x7 → 7x1 → 3x3 stride 2; 3x3 max-pool stride 2.</summary>
internal sealed class InceptionD : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;

    public InceptionD(long input) : base(nameof(InceptionD))
    {
        branch3x3_1 = new BasicConv2d(input, 192, (1, 1));
        branch3x3_2 = new BasicConv2d(192, 320, (3, 3), stride: 2);
        branch7x7x3_1 = new BasicConv2d(input, 192, (1, 1));
        branch7x7x3_2 = new BasicConv2d(192, 192, (1, 7), padding: (0, 3));
        branch7x7x3_3 = new BasicConv2d(192, 192, (7, 1), padding: (3, 0));
        branch7x7x3_4 = new BasicConv2d(192, 192, (3, 3), stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return cat([
            branch3x3_2.call(branch3x3_1.call(x)),
            branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x)))),
            nn.functional.max_pool2d(x, 3, stride: 2),
        ], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Mixed_7b-c: 1x1; 1x1 → (1x3 | 3x1); 1x1 → 3x3 → (1x3 | 3x1); average pool → 1x1.</summary>
internal sealed class InceptionE : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b,
        branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool;

    public InceptionE(long input) : base(nameof(InceptionE))
    {
        branch1x1 = new BasicConv2d(input, 320, (1, 1));
        branch3x3_1 = new BasicConv2d(input, 384, (1, 1));
        branch3x3_2a = new BasicConv2d(384, 384, (1, 3), padding: (0, 1));
        branch3x3_2b = new BasicConv2d(384, 384, (3, 1), padding: (1, 0));
        branch3x3dbl_1 = new BasicConv2d(input, 448, (1, 1));
        branch3x3dbl_2 = new BasicConv2d(448, 384, (3, 3), padding: (1, 1));
        branch3x3dbl_3a = new BasicConv2d(384, 384, (1, 3), padding: (0, 1));
        branch3x3dbl_3b = new BasicConv2d(384, 384, (3, 1), padding: (1, 0));
        branch_pool = new BasicConv2d(input, 192, (1, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b3 = branch3x3_1.call(x);
        var bd = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
        return cat([
            branch1x1.call(x),
            cat([branch3x3_2a.call(b3), branch3x3_2b.call(b3)], 1),
            cat([branch3x3dbl_3a.call(bd), branch3x3dbl_3b.call(bd)], 1),
            branch_pool.call(nn.functional.avg_pool2d(x, 3, stride: 1, padding: 1)),
        ], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>The auxiliary classifier on Mixed_6e's output: 5x5 average pool stride 3, conv0 (1x1, 128), conv1 (5x5, 768), fc.</summary>
internal sealed class InceptionAux : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d conv0, conv1;
    private readonly Linear fc;

    public InceptionAux(long input, int numClasses) : base(nameof(InceptionAux))
    {
        conv0 = new BasicConv2d(input, 128, (1, 1));
        conv1 = new BasicConv2d(128, 768, (5, 5));
        fc = nn.Linear(768, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = conv1.call(conv0.call(nn.functional.avg_pool2d(x, 5, stride: 3)));
        return fc.call(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)).MoveToOuterDisposeScope();
    }
}
