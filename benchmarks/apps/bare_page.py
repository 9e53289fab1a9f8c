"""The yardstick of benchmarks/firstload.py: the smallest Streamlit page, one st.write and nothing else."""
import streamlit as st

st.write("襄州一线协商地图")
