using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ParameterSaliency.Analyzers;

/// <summary>
/// PS0001: a TorchSharp <c>Scalar</c> that lives only as a temporary.
/// TorchSharp passes a Scalar's native handle to libtorch and keeps no reference to the Scalar while libtorch runs,
/// so a garbage collection on another thread can finalise it, and free the native value, in the middle of the call.
/// libtorch then reads freed memory: "Unknown scalar type", an internal assert, or a wrong number.
/// Two suite runs failed this way (CosineKMeans' index_add_ alpha, PermutationTest's division by a count).
/// A Scalar is safe when a <c>using</c> declaration or a static readonly field holds it for the whole call.
/// Flagged: an implicit conversion to Scalar anywhere else, and Tensor operators with a number operand, which make
/// the same temporary inside TorchSharp.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TemporaryScalarAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's identifier.</summary>
    public const string Id = "PS0001";

    static readonly DiagnosticDescriptor Rule = new(
        Id,
        "TorchSharp Scalar held by nothing during the native call",
        "{0} makes a TorchSharp Scalar that nothing holds while libtorch reads it; a collection can finalise it mid-call. Hold it: 'using Scalar name = value;' or a static readonly Scalar field.",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(OnConversion, OperationKind.Conversion);
        context.RegisterOperationAction(OnOperator, OperationKind.Binary, OperationKind.CompoundAssignment, OperationKind.Unary);
    }

    static void OnConversion(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!conversion.Conversion.IsUserDefined || !IsScalar(conversion.Type)) return;
        if (IsHeld(conversion)) return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(), $"'{conversion.Operand.Syntax}'"));
    }

    static void OnOperator(OperationAnalysisContext context)
    {
        var method = context.Operation switch
        {
            IBinaryOperation binary => binary.OperatorMethod,
            ICompoundAssignmentOperation compound => compound.OperatorMethod,
            IUnaryOperation unary => unary.OperatorMethod,
            _ => null,
        };
        if (method is null || method.ContainingType?.Name != "Tensor" || !IsTorchSharp(method.ContainingType)) return;
        if (!method.Parameters.Any(p => p.Type.SpecialType != SpecialType.None)) return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), $"The operator in '{context.Operation.Syntax}'"));
    }

    /// <summary>A using declaration (<c>using Scalar s = 2;</c>) or a static readonly field's initializer.</summary>
    static bool IsHeld(IConversionOperation conversion)
    {
        var parent = conversion.Parent;
        if (parent is IFieldInitializerOperation field) return field.InitializedFields.All(f => f.IsStatic && f.IsReadOnly);
        if (parent is IVariableInitializerOperation initializer)
        {
            IOperation? enclosing = initializer.Parent;
            while (enclosing is IVariableDeclaratorOperation or IVariableDeclarationOperation or IVariableDeclarationGroupOperation)
                enclosing = enclosing.Parent;
            return enclosing is IUsingDeclarationOperation or IUsingOperation;
        }
        return false;
    }

    static bool IsScalar(ITypeSymbol? type) => type?.Name == "Scalar" && IsTorchSharp(type);

    static bool IsTorchSharp(ITypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() is string name && (name == "TorchSharp" || name.StartsWith("TorchSharp."));
}
