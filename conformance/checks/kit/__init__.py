"""What checks share: reading the document and the declaration, making test records, parsing exports,
walking pages, probing the network, and the ways a check ends. Nothing here is a check itself.
"""
